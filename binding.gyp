{
  # Three layers, each linked by the one above (CMakeLists.txt builds the same):
  #   pmc_c    native/pmc   the C core (virPMCCheck, the runner): plain C, libvirt
  #   pmc_cxx  native/cxx   Node-free C++: XML, XPath, check files, plugins, facts
  #   pmc      native/addon the Node-API addon (build/Release/pmc.node)
  # The C/C++ test programs of test/native are built by CMakeLists.txt with
  # -DPMC_BUILD_TESTS=ON (the unit tests' global setup), never by an install.
  # PMC_WERROR=1 in the environment (CI sets it) makes every warning an
  # error. Never by default: a compiler newer than ours, with new warnings,
  # must not break a user's install from source.
  "target_defaults": {
    "cflags": ["<!@(node -p \"process.env.PMC_WERROR === '1' ? '-Werror' : ''\")"]
  },
  "targets": [
    {
      "target_name": "pmc_c",
      "type": "static_library",
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native/pmc').filter(f => f.endsWith('.c')).map(f => 'native/pmc/' + f).join(' ')\")"
      ],
      "include_dirs": ["native/pmc"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden", "<!@(pkg-config --cflags libvirt)"],
      "cflags_c": ["-std=c11"],
      "direct_dependent_settings": {
        "include_dirs": ["native/pmc"]
      },
      "link_settings": {
        "libraries": ["<!@(pkg-config --libs libvirt)", "-lpthread"]
      }
    },
    {
      "target_name": "pmc_cxx",
      "type": "static_library",
      "dependencies": ["pmc_c"],
      "export_dependent_settings": ["pmc_c"],
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native/cxx').filter(f => f.endsWith('.cc')).map(f => 'native/cxx/' + f).join(' ')\")"
      ],
      "include_dirs": ["native/cxx"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden", "<!@(pkg-config --cflags libvirt libxml-2.0)"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "direct_dependent_settings": {
        "include_dirs": ["native/cxx"]
      },
      "link_settings": {
        "libraries": ["<!@(pkg-config --libs libvirt libxml-2.0)", "-ldl", "-lpthread"]
      }
    },
    {
      "target_name": "pmc",
      "dependencies": ["pmc_cxx"],
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native/addon').filter(f => f.endsWith('.cc')).map(f => 'native/addon/' + f).join(' ')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/addon"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NAPI_CPP_EXCEPTIONS"
      ],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden", "<!@(pkg-config --cflags libvirt libxml-2.0)"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"]
    }
  ]
}
