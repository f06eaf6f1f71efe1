"""Program status board: per-program RAG, workstreams, milestones, the enterprise view and top risks."""
