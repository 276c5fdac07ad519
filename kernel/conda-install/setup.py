# Used by environment.yml only: `pip install ./kernel/conda-install` inside the conda
# environment builds tfjs-lab with the environment's Node (npm ci) and registers the
# kernelspec in the environment (jupyter kernelspec install --prefix $CONDA_PREFIX).
import os
import subprocess
import sys

from setuptools import setup
from setuptools.command.install import install

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


class InstallKernel(install):
    def run(self):
        install.run(self)
        subprocess.check_call(["npm", "ci"], cwd=ROOT)
        subprocess.check_call(["node", os.path.join(ROOT, "dist", "src", "cli", "main.js"), "install", "--prefix", sys.prefix], cwd=ROOT)


setup(
    name="tfjs-lab-kernel",
    version="0.1.0",
    description="Registers the tfjs-lab TypeScript kernel in this Python environment",
    py_modules=[],
    cmdclass={"install": InstallKernel},
)
