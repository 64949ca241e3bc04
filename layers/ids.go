package layers

import "strings"

// The shapes of the IDs and names the storage layouts use. Plain loops, not
// regexps: compiled at start-up, the {64} repetitions cost every ctx
// command half a millisecond.

// isHexID reports a 64-hex-digit ID: a Docker container, layer cache or
// anonymous volume ID, or a containers/storage ID.
func isHexID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// isCacheID reports an overlay2 layer dir ID: a hex ID, maybe with "-init".
func isCacheID(s string) bool { return isHexID(strings.TrimSuffix(s, "-init")) }

// isDigest reports "sha256:" and a hex ID.
func isDigest(s string) bool {
	h, ok := strings.CutPrefix(s, "sha256:")
	return ok && isHexID(h)
}

// isShortLink reports an overlay2 l/ link name: 26 base32 characters.
func isShortLink(s string) bool {
	if len(s) != 26 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// isLayerDirName reports the names of layer dirs in a driver dir: docker's
// cache IDs (and -init), BuildKit's snapshot keys, containerd's snapshot
// numbers. It starts alphanumeric, then allows _ . - up to 128 characters.
func isLayerDirName(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return true
}
