"""Node result caches (`CachePolicy` on nodes, `cache=` on compile)."""
