"""The lab's VPN dataplane: VRFs, sub-interfaces and inter-PE tunnels made real.

The routers' native configuration (``yang/netsla-router.yang``) describes
VRFs, sub-interfaces, static routes, BGP neighbours and SLA probes; the lab's
kernel has no VRF, VLAN, MPLS or GRE devices.  One agent per lab
(``python -m lab.dataplane``, :mod:`lab.dataplane.agent`) watches every
router's committed configuration and realises it with what the kernel has:

- a VRF is a network namespace with forwarding on;
- a VLAN sub-interface is a pair of macvlans (PE port and CE port) whose
  fixed MAC addresses and permanent neighbour entries (ARP off) play the
  VLAN tag's role;
- MP-BGP's route exchange between PEs is done by the agent from all
  routers' configurations together, in the manner of a route reflector:
  routes follow the route targets, traffic between two PEs' VRFs goes
  through a vxlan over the core link (so the core link's impairment
  shuttle affects it), between two VRFs of one PE through a veth pair.

Planning is pure (:mod:`lab.dataplane.plan`: configurations and topology in,
desired objects out; :mod:`lab.dataplane.kernel`: observed objects in,
iproute2/tc batches out); the agent only reads files, runs ``ip``/``tc`` and
writes its status.
"""
