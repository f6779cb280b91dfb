# The application: a small Python web service that calls the store.
FROM python:3.11-slim-bookworm
COPY app/app.py /app/app.py
USER 65534:65534
ENV STORE_URL=http://store:8080
EXPOSE 8000
ENTRYPOINT ["python3", "/app/app.py"]
