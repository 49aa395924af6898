// DockerEngine
