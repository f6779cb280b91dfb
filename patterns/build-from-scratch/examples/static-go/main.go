// Command hello greets and describes the filesystem it runs in.
// It uses the standard library only, so `go build` needs no network.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

func main() {
	fmt.Println("Hello from a static Go binary in a FROM scratch image")
	fmt.Printf("built with %s for %s/%s, running as uid %d\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, os.Getuid())

	entries, err := os.ReadDir("/")
	if err != nil {
		fmt.Fprintln(os.Stderr, "cannot list /:", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(entries))
	for _, entry := range entries {
		names = append(names, entry.Name())
	}
	fmt.Println("files in /:", strings.Join(names, " "))

	if _, err := os.Stat("/bin/sh"); err == nil {
		fmt.Println("a shell exists at /bin/sh")
	} else {
		fmt.Println("no shell here: /bin/sh does not exist")
	}
}
