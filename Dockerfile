# drready's container image: the same image runs a whole audit, one shard of a collection (a
# Kubernetes Indexed Job, an AWS Batch array job, a Step Functions Distributed Map item), or the
# merge and audit of the shards. See docs/deploy/.
#
#   docker build -t drready .
#   docker run --rm drready audit --example --no-evidence
FROM rust:1.89-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin drready

# Distroless: the binary, CA certificates and glibc; no shell, no package manager. Runs as the
# nonroot user (65532).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/drready /usr/local/bin/drready
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/drready"]
CMD ["--help"]
