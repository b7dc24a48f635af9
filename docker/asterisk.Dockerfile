# Asterisk 22 for Omnivox: the Debian sid packages and the configuration of the test chroot
# (asterisk-config/packages.txt, asterisk-config/etc, asterisk-config/install-config.sh).
# Build from the repository root:
#   docker build -f docker/asterisk.Dockerfile -t omnivox-asterisk .
FROM debian:sid-slim

# The omnivox image's user: it writes the prompts Asterisk plays from the shared volume.
ARG OMNIVOX_UID=10001

# Same list and filter as chroot.sh; Recommends stay out, as with debootstrap --include.
COPY asterisk-config/packages.txt /tmp/asterisk-config/packages.txt
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' /tmp/asterisk-config/packages.txt | tr -d ' \t') \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb

COPY asterisk-config/etc /tmp/asterisk-config/etc
COPY asterisk-config/install-config.sh /tmp/asterisk-config/install-config.sh
RUN bash /tmp/asterisk-config/install-config.sh / \
 && rm -rf /tmp/asterisk-config \
 && mkdir -p /var/spool/asterisk/monitor /var/cache/asterisk \
 && chown -R asterisk:asterisk /var/lib/asterisk /var/log/asterisk /var/spool/asterisk \
      /run/asterisk /var/cache/asterisk \
 && chown "${OMNIVOX_UID}:${OMNIVOX_UID}" /var/lib/asterisk/sounds/omnivox

COPY docker/asterisk-entrypoint.sh /usr/local/bin/asterisk-entrypoint.sh
RUN chmod 755 /usr/local/bin/asterisk-entrypoint.sh

# AMI, SIP, RTP (asterisk-config/etc/rtp.conf).
EXPOSE 5038/tcp 5060/udp 10000-10999/udp

HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=6 \
  CMD asterisk -rx "core waitfullybooted" >/dev/null || exit 1

# The entrypoint renders the container-only settings (AMI and SIP binds, dialplan globals)
# from the environment; Asterisk drops root for the asterisk user once it has its ports.
ENTRYPOINT ["/usr/local/bin/asterisk-entrypoint.sh"]
CMD ["/usr/sbin/asterisk", "-f", "-n", "-U", "asterisk", "-G", "asterisk", "-C", "/etc/asterisk/asterisk.conf"]
