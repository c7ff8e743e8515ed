package report

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The files of a page's artifacts folder, as the fixture names them.
const (
	fileScreenshot = "screenshot.png"
	fileTrace      = "trace.zip"
	fileHTML       = "page.html"
	fileConsole    = "console.log"
)

// pageFolder matches the subfolder of a test's n-th page (n ≥ 2).
var pageFolder = regexp.MustCompile(`^page-([0-9]+)$`)

// unsafeNameChars are replaced in a test's name to make its folder
// name, as the fixture does.
var unsafeNameChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// pageArtifacts is what one page of a failed test left: absolute paths
// of the files that exist, "" for the others.
type pageArtifacts struct {
	Dir, Screenshot, Trace, HTML, Console string
}

// empty reports whether the folder held none of the files.
func (a pageArtifacts) empty() bool {
	return a.Screenshot == "" && a.Trace == "" && a.HTML == "" && a.Console == ""
}

// findArtifacts returns the artifacts of t's pages: for each folder the
// stream named (resolved against root, see resolveDir), or else the
// fixture's folder for t under root, the folder itself and its page-n
// subfolders in page order. Missing folders are left out.
func findArtifacts(t *Test, root string) []pageArtifacts {
	var dirs []string
	for _, d := range t.ArtifactDirs {
		if r := resolveDir(d, root); r != "" {
			dirs = appendNew(dirs, r)
		}
	}
	if len(dirs) == 0 && root != "" {
		if r := resolveDir(filepath.Join(root, unsafeNameChars.ReplaceAllString(t.Name, "_")), ""); r != "" {
			dirs = append(dirs, r)
		}
	}
	var out []pageArtifacts
	seen := map[string]bool{}
	for _, d := range dirs {
		for _, page := range pageDirs(d) {
			if seen[page] {
				continue // the first page's folder also named as page-n's parent
			}
			seen[page] = true
			if a := readPage(page); !a.empty() {
				out = append(out, a)
			}
		}
	}
	return out
}

// resolveDir finds the folder the stream named as dir: dir itself (an
// absolute path, or relative to the working directory), else root
// joined with dir's trailing path elements, longest first, so a folder
// named by a CI machine's absolute path is found in its downloaded
// copy. It returns an absolute path, or "" when nothing exists.
func resolveDir(dir, root string) string {
	dir = filepath.Clean(dir)
	candidates := []string{dir}
	if root != "" {
		parts := strings.Split(filepath.ToSlash(dir), "/")
		for i := range parts {
			rest := filepath.FromSlash(strings.Join(parts[i:], "/"))
			if rest != "" && rest != "." {
				candidates = append(candidates, filepath.Join(root, rest))
			}
		}
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && fi.IsDir() {
			if abs, err := filepath.Abs(c); err == nil {
				return abs
			}
			return c
		}
	}
	return ""
}

// pageDirs returns dir and its page-n subfolders, in page order.
func pageDirs(dir string) []string {
	type page struct {
		n   int
		dir string
	}
	pages := []page{{1, dir}}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if m := pageFolder.FindStringSubmatch(e.Name()); m != nil && e.IsDir() {
			n, _ := strconv.Atoi(m[1])
			pages = append(pages, page{n, filepath.Join(dir, e.Name())})
		}
	}
	slices.SortStableFunc(pages, func(a, b page) int { return a.n - b.n })
	out := make([]string, len(pages))
	for i, p := range pages {
		out[i] = p.dir
	}
	return out
}

// readPage lists the artifact files in dir.
func readPage(dir string) pageArtifacts {
	a := pageArtifacts{Dir: dir}
	for name, field := range map[string]*string{
		fileScreenshot: &a.Screenshot,
		fileTrace:      &a.Trace,
		fileHTML:       &a.HTML,
		fileConsole:    &a.Console,
	} {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			*field = p
		}
	}
	return a
}
