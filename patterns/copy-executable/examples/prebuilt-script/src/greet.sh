# greet NAME: print the greeting for one name.
greet() {
	printf 'Hello, %s!\n' "$1"
}
