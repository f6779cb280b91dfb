# The entry point: greet every name given (the world when there is none),
# then say which version is running and as which user.
if [ "$#" -eq 0 ]; then
	set -- world
fi
for name in "$@"; do
	greet "$name"
done
printf 'app %s, running as uid %s\n' "$APP_VERSION" "$(id -u)"
