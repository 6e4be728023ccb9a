#!/usr/bin/env bash
# Installs the system packages Easel's tests need on a Debian machine, when missing:
# a Vulkan loader and Mesa's lavapipe CPU driver (the native GPU tests run on any Vulkan
# adapter; lavapipe makes them run without a GPU) and Chromium (browser tests).
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
  echo "error: no apt-get: install a Vulkan driver and loader and Chromium (${need[*]}) yourself" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
