# telnyx-oauth-mcp as a container: the shared streamable HTTP server
# (README: "Running it shared (HTTP)"). A static binary on distroless, run as
# a non-root user, serving MCP on :8080/mcp.
#
#   docker build -t telnyx-oauth-mcp --build-arg VERSION=0.1.0 .
#   docker run --rm -p 127.0.0.1:8080:8080 telnyx-oauth-mcp
#
# Key mode by default: each caller sends its own Telnyx key as the bearer,
# and the container holds no credential. Replicas behind a load balancer
# add --stateless and share TELNYX_MCP_STATE_KEY (deploy/kubernetes/).

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/telnyx-oauth-mcp .

FROM gcr.io/distroless/static-debian12:nonroot
LABEL io.modelcontextprotocol.server.name="io.github.telnyx-oauth-mcp/telnyx-oauth-mcp" \
      org.opencontainers.image.title="telnyx-oauth-mcp" \
      org.opencontainers.image.description="MCP server for the Telnyx OAuth API, over streamable HTTP" \
      org.opencontainers.image.source="https://github.com/telnyx-oauth-mcp/telnyx-oauth-mcp"
COPY --from=build /out/telnyx-oauth-mcp /usr/local/bin/telnyx-oauth-mcp
# distroless's "nonroot" user; numeric, so that runAsNonRoot can verify it.
USER 65532:65532
# HTTP by default. Inside a container the server must listen on every
# interface; the Host allow-list still accepts only loopback names unless
# TELNYX_MCP_ALLOWED_HOSTS names the public ones.
ENV TELNYX_MCP_TRANSPORT=http \
    TELNYX_MCP_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/telnyx-oauth-mcp"]
