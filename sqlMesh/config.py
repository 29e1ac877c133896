"""Config for running this project with the plain `sqlmesh` CLI from inside sqlMesh/.

The workbench never uses this file: `osaa_lib.transform.project.build_config` builds the same
config in memory from the settings (environment / .env), so no path or secret is written here.
"""

from osaa_lib.config import load_settings
from osaa_lib.transform.project import build_config, find_landed_sources

_settings = load_settings()
config = build_config(_settings, find_landed_sources(_settings))
