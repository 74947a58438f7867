# syntax=docker/dockerfile:1
# Multi-stage build: a static authgate binary on a distroless base, running
# as a non-root user. SQLite is pure Go (no cgo), so CGO_ENABLED=0 works.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/authgate ./cmd/authgate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/authgate /usr/local/bin/authgate
ENV AUTHGATE_DATA_DIR=/data \
    AUTHGATE_LISTEN=:8001
VOLUME ["/data"]
EXPOSE 8001
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/authgate"]
CMD ["serve"]
