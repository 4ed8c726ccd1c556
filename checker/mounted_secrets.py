"""The old address of the mounted-secrets keyring backend: deployments made before the tool's folders
name `PYTHON_KEYRING_BACKEND=checker.mounted_secrets.MountedSecrets`, and keep working."""

from checker.store.mounted_secrets import MountedSecrets

__all__ = ["MountedSecrets"]
