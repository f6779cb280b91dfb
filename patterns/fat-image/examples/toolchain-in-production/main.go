// A small program standing in for a service: all it needs at run time is
// its own compiled binary.
package main

import (
	"os"
	"runtime"
)

func main() {
	os.Stdout.WriteString("hello from a compiled Go program (built with " + runtime.Version() + ")\n")
}
