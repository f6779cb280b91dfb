// wordfreq counts words (its arguments, or standard input when it has none)
// and prints the three most frequent. It is compiled in the builder stage;
// only the binary ships.
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
)

func main() {
	counts := map[string]int{}
	add := func(text string) {
		word := strings.ToLower(strings.Trim(text, ".,;:!?\"'()"))
		if word != "" {
			counts[word]++
		}
	}
	if len(os.Args) > 1 {
		for _, arg := range os.Args[1:] {
			for _, text := range strings.Fields(arg) {
				add(text)
			}
		}
	} else {
		scanner := bufio.NewScanner(os.Stdin)
		scanner.Split(bufio.ScanWords)
		for scanner.Scan() {
			add(scanner.Text())
		}
	}
	words := make([]string, 0, len(counts))
	for word := range counts {
		words = append(words, word)
	}
	sort.Slice(words, func(i, j int) bool {
		if counts[words[i]] != counts[words[j]] {
			return counts[words[i]] > counts[words[j]]
		}
		return words[i] < words[j]
	})
	fmt.Printf("wordfreq, compiled with %s\n", runtime.Version())
	for i, word := range words {
		if i == 3 {
			break
		}
		fmt.Printf("%d %s\n", counts[word], word)
	}
}
