"""Compatibility layers: ``symgraph.compat.theano`` runs code written for Theano."""
