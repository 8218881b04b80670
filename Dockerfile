FROM python:3.13-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . \
    && python manage.py compilemessages \
    && DEBUG=true python manage.py collectstatic --no-input \
    && mkdir -p .data/media && chown -R nobody .data
# The media volume takes this directory's owner when first mounted, so reports can be written.
USER nobody
