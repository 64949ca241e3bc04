// Package hostfstest holds what the tests of ctx share: gates that skip a
// test tier the machine cannot run (or fail it under CTX_TEST_REQUIRE=all),
// leak checks, a throwaway network namespace, host-tree fixtures, Docker
// helpers and the built ctx binary for end-to-end tests.
//
// It is imported by tests only. A privileged test reads:
//
//	func TestVethPeer(t *testing.T) {
//		hostfstest.NoFDLeak(t) // leak checks first: their cleanups run last
//		hostfstest.NoLinkLeak(t)
//		hostfstest.InNewNetNS(t) // also gates on euid 0
//		// create veths here; they vanish with the namespace
//	}
package hostfstest
