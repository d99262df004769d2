"""Pure scheduling decisions: a ``ClusterView`` in, a ``Plan`` out."""
