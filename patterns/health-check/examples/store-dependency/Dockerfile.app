FROM busybox:1.35 AS tools

FROM python:3.11-slim-bookworm

# One static busybox binary gives the image a small HTTP client for the check.
COPY --from=tools /bin/busybox /usr/local/bin/busybox
COPY app.py /app/app.py
USER 65534:65534
EXPOSE 8080

# Ask the application itself, twice a second, whether it can do its job:
# wget exits 1 unless /health answers 200. Failures in the first second do
# not count (the app is still starting); after that, two failures in a row
# mark the container unhealthy. Real services use longer intervals (30s is
# Docker's default); these keep the example fast.
HEALTHCHECK --interval=500ms --timeout=2s --start-period=1s --retries=2 \
  CMD ["busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/health"]

ENTRYPOINT ["python3", "/app/app.py"]
