"""Builds taskscout._core with the project's CMake for `pip install --no-build-isolation .`
(metadata: pyproject.toml). It builds in the project's own build folder (build/, or
TASKSCOUT_BUILD_DIR), so what `scripts/setup.sh` built is reused and only the extension is
added; CMAKE_BUILD_PARALLEL_LEVEL sets the jobs."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = Path(os.environ.get("TASKSCOUT_BUILD_DIR", ROOT / "build"))
        # The interpreter the extension is built for: this one (a venv's python resolves to
        # the system interpreter it was made from, so the cache stays valid).
        python = os.path.realpath(sys.executable)
        configure = ["cmake", "-S", str(ROOT), "-B", str(build), "-DTASKSCOUT_PYTHON=ON",
                     f"-DPython3_EXECUTABLE={python}"]
        if not (build / "CMakeCache.txt").exists():
            configure += ["-DCMAKE_BUILD_TYPE=Release"] + (["-G", "Ninja"] if shutil.which("ninja") else [])
        subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.run(["cmake", "--build", str(build), "--target", "taskscout_python", "-j", jobs], check=True)
        built = next((build / "python" / "taskscout").glob("_core*.so"))
        out = Path(self.get_ext_fullpath(ext.name))
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, out)


setup(ext_modules=[Extension("taskscout._core", sources=[])], cmdclass={"build_ext": CMakeBuild})
