"""netsla controller: YANG validation, rendering, diff and network-wide transactions."""
