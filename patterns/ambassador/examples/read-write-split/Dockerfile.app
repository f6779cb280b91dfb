FROM busybox:1.35

COPY app.sh /app.sh
RUN chmod 755 /app.sh
USER 65534:65534
ENTRYPOINT ["/app.sh"]
