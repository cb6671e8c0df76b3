# Nudges as a container: a static binary on a distroless base, run as a
# non-root user, with the database on a volume at /data.
#   docker build -t nudges .
#   docker run -d --name nudges -p 127.0.0.1:8080:8080 -v nudges-data:/data \
#     --env-file nudges.env nudges
# (docs/deploy.md, "Deploy with Docker").

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first, so an edit to the code does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# docker build --build-arg VERSION=$(git describe --tags --always) -t nudges .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.buildVersion=${VERSION}" -o /out/nudges . \
    && mkdir -p /out/data

# distroless/static: CA certificates (Twilio, Stripe) and time-zone data, no
# shell, and the "nonroot" user (uid 65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/nudges /usr/local/bin/nudges
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
ENV NUDGES_DB=/data/nudges.db \
    NUDGES_ADDR=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
# The image has no shell or curl: the binary asks its own /readyz
# (NUDGES_ADDR's wildcard host means this container), 3 s at most.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["/usr/local/bin/nudges", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/nudges"]
CMD ["serve"]
