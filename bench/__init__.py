"""`make bench`: throughput benchmarks, each printing one JSON object. See bench/README.md."""
