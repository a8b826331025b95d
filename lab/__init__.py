"""netsla lab: virtual PE routers and CE hosts in network namespaces with real agents."""
