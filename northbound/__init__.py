"""netsla's northbound interfaces: the ``netsla`` command line and the gRPC API.

Northbound code converts requests, delegates to :mod:`controller` and maps
errors to exit codes or status codes; it holds no domain logic of its own.
"""
