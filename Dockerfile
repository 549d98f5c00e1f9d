# Multi-stage build of the same static binary as `make build`.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/enrollplan ./cmd/enrollplan \
 && mkdir -p /out/data

# Static runtime image: no shell, no package manager, runs as non-root.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/enrollplan /enrollplan
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV ENROLLPLAN_DB=/data/enrollplan.db
EXPOSE 8080
ENTRYPOINT ["/enrollplan"]
CMD ["serve", "--addr", ":8080"]
