"""The client's resources, one module each: ``client.contacts``, ``client.messages``, ..."""
