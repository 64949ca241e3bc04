package hostfstest

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// buildkitCLIs are the docker CLIs tried for a BuildKit build without
// buildx: the first on PATH, and Debian 12's docker.io.
var buildkitCLIs = []string{"docker", "/usr/bin/docker"}

// BuildKitBuild builds dir's Dockerfile as tag with dockerd's BuildKit and
// returns the IDs of the build cache records the build added. The docker
// CLI must have BuildKit built in (before 23.0, as Debian 12's docker.io);
// later ones need buildx, which Debian 12 lacks, and the test gates. At
// cleanup the image goes, then each record the build added (and only
// those: other build cache on the host is left alone).
func BuildKitBuild(t testing.TB, dir, tag string) []string {
	t.Helper()
	RequireDocker(t)
	bin := buildkitCLI()
	if bin == "" {
		Gate(t, "e2e: needs a docker CLI with BuildKit built in (before 23.0: Debian 12's docker.io at /usr/bin/docker)")
	}
	before := buildCacheIDs(t)
	t.Cleanup(func() {
		docker(nil, nil, "rmi", "-f", tag)
		pruneBuildCache(t, before)
	})
	if _, err := dockerCLI(bin, nil, []string{"DOCKER_BUILDKIT=1"}, "build", "-q", "-t", tag, dir); err != nil {
		t.Fatal(err)
	}
	var added []string
	for _, id := range buildCacheIDs(t) {
		if !slices.Contains(before, id) {
			added = append(added, id)
		}
	}
	return added
}

// buildkitCLI is the first of buildkitCLIs older than 23.0, or "".
func buildkitCLI() string {
	for _, bin := range buildkitCLIs {
		v, err := dockerCLI(bin, nil, nil, "version", "--format", "{{.Client.Version}}")
		if major, _, ok := strings.Cut(v, "."); err == nil && ok {
			if n, err := strconv.Atoi(major); err == nil && n < 23 {
				return bin
			}
		}
	}
	return ""
}

// buildCacheIDs lists the host's build cache records.
func buildCacheIDs(t testing.TB) []string {
	t.Helper()
	out, err := docker(nil, nil, "system", "df", "-v", "--format", "{{range .BuildCache}}{{.ID}} {{end}}")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(out)
}

// pruneBuildCache removes every build cache record not in keep. A record
// goes only once its children have, hence the rounds.
func pruneBuildCache(t testing.TB, keep []string) {
	t.Helper()
	var left []string
	for range 10 {
		left = left[:0]
		for _, id := range buildCacheIDs(t) {
			if !slices.Contains(keep, id) {
				left = append(left, id)
			}
		}
		if len(left) == 0 {
			return
		}
		for _, id := range left {
			docker(nil, nil, "builder", "prune", "-af", "--filter", "id="+id)
		}
	}
	t.Errorf("leaked build cache records %q", left)
}
