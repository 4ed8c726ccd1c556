# The check in a container, on Playwright's own image: its browsers (in /ms-playwright) are those
# of the Playwright release pinned here, which must be the one pip installs (tests/test_deploy.py
# holds the pin to the version the project is tested with). Build from the repository's top:
#   docker build -t linkedin-ai-optout .
ARG PLAYWRIGHT_VERSION=1.65.2
FROM mcr.microsoft.com/playwright/python:v${PLAYWRIGHT_VERSION}-noble
ARG PLAYWRIGHT_VERSION

WORKDIR /src
COPY pyproject.toml README.md ./
COPY checker checker
COPY selectors selectors
COPY fixtures fixtures
# Without the pin, pip would take the newest Playwright, whose browsers are not in the image.
# The manifests in deploy/kubernetes run as UID 1001: the build fails if pwuser is another.
RUN pip install --no-cache-dir --root-user-action=ignore "playwright==${PLAYWRIGHT_VERSION}" . \
    && rm -rf /src \
    && test "$(id -u pwuser)" = 1001

WORKDIR /
USER pwuser
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
ENTRYPOINT ["linkedin-ai-optout"]
CMD ["--help"]
