#!/usr/bin/env bash
# Installs the system packages Easel's tests need on a Debian machine, when missing:
# a Vulkan loader and Mesa's lavapipe CPU driver (the native GPU tests run on any Vulkan
# adapter; lavapipe makes them run without a GPU), Chromium (browser tests), and for
# easel-view's window (go build -tags viewer ./cmd/easel-view, which needs cgo) the X11 and
# GL headers, with Xvfb, a virtual X server, for its test.
set -euo pipefail

need=()
have_icd=false
for f in /usr/share/vulkan/icd.d/lvp_icd*.json /etc/vulkan/icd.d/*.json /usr/share/vulkan/icd.d/nvidia_icd*.json; do
  [ -e "$f" ] && have_icd=true
done
$have_icd || need+=(mesa-vulkan-drivers)
have_loader=false
for f in /usr/lib/*/libvulkan.so.1 /lib/*/libvulkan.so.1 /usr/lib/libvulkan.so.1 /usr/lib64/libvulkan.so.1; do
  [ -e "$f" ] && have_loader=true
done
$have_loader || need+=(libvulkan1)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# easel-view: a header of each package that Ebitengine's GLFW includes, and Xvfb.
for pair in libx11-dev:X11/Xlib.h libgl1-mesa-dev:GL/gl.h libxrandr-dev:X11/extensions/Xrandr.h \
  libxcursor-dev:X11/Xcursor/Xcursor.h libxinerama-dev:X11/extensions/Xinerama.h \
  libxi-dev:X11/extensions/XInput2.h libxxf86vm-dev:X11/extensions/xf86vmode.h; do
  [ -e "/usr/include/${pair#*:}" ] || need+=("${pair%%:*}")
done
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
  else
    echo "error: need root (or sudo) to install ${need[*]}; install them with your package manager" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: no apt-get: install a Vulkan driver and loader, Chromium, the X11/GL headers and Xvfb (${need[*]}) yourself" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
