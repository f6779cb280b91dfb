FROM busybox:1.35 AS tools

FROM python:3.11-slim-bookworm

# One static busybox binary gives the image a small HTTP client for the check.
COPY --from=tools /bin/busybox /usr/local/bin/busybox
COPY app.py /app/app.py
USER 65534:65534
EXPOSE 8080

# The check only asks whether the process answers on its port (GET /), not
# whether the application can do its job: the store is never consulted.
HEALTHCHECK --interval=500ms --timeout=2s --start-period=1s --retries=2 \
  CMD ["busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/"]

ENTRYPOINT ["python3", "/app/app.py"]
