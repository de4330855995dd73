"""A stand-in benchmark for bench.run_all's tests: human output, then its result line; the
exit status is the first argument."""
import sys

from bench.results import headline, print_result

print("measuring the nothing benchmark")
headline("events delivered", 60_000.0, "events/s", at_least=50_000)
headline("p99 delay", 12.5, "ms", at_most=10)
print_result("stand-in")
sys.exit(int(sys.argv[1]))
