// Package inspect reads what the kernel knows about processes and their
// namespaces, and names them by container: the ground every ctx command
// stands on. It never prints; it returns typed data with warnings.
//
// Example:
//
//	root, _ := hostfs.New("/")
//	set, err := inspect.Namespaces(root, inspect.ScanOptions{})
//	for _, ns := range set.Namespaces {
//		fmt.Println(ns.Type, ns.Inode, ns.NProcs)
//	}
package inspect
