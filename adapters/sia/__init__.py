"""SIA DC-09 alarm receiver: sans-IO codec, code tables and the receiver adapter."""
