// leadpipe: command-line entry point. Parses flags and hands them to the pipeline wiring.
int main() { return 0; }
