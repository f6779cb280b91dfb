"""The label keys on every engine object the catalog makes; the reaper and clean-ups select by them."""

OWNER = "catalog.owner"  # "worker", "try" (try_example) or a test's own owner
INSTANCE = "catalog.instance"  # keeps two catalogs sharing one engine apart
VERIFICATION = "catalog.verification"
ATTEMPT = "catalog.attempt"  # containers, volumes and networks only
EXAMPLE = "catalog.example"  # containers, volumes and networks only: a readable name for operators
RUN = "catalog.run"  # one scenario run, so its clean-up finds what a half-finished call made
BASE_COPY = "catalog.base-copy"  # the run a private copy of a base image belongs to
# Images carry neither: the classic builder turns every build label into one more step.
RUN_ONLY = (ATTEMPT, EXAMPLE)
