"""netsla southbound: NETCONF and SNMP access to devices and collection of their state."""
