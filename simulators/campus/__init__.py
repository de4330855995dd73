"""A whole simulated campus: scenario files, the four device simulators in one process, the matching
hub config, timelines and background noise (``campus-hub simulate``, ``campus-hub demo``)."""
