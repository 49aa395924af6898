// RunnerClient
