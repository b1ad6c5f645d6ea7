"""Login flows: the network side of what providers declare in pixup.specs."""
