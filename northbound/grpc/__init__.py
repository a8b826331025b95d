"""netsla's gRPC northbound (netsla.v1): servicers, authentication, event hub, server."""
