{
  # Three layers, each linked by the one above (CMakeLists.txt builds the same):
  #   pmc_c    native/pmc   the C core (virPMCCheck, the runner): plain C, libvirt
  #   pmc_cxx  native/cxx   Node-free C++: XML, XPath, check files, plugins, facts
  #   pmc      native/addon the Node-API addon (build/Release/pmc.node)
  #   pmc_gate native/gate  the gate's addon: the XML part of native/addon, no libvirt
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
    },
    {
      # The gate's addon (build/Release/pmc_gate.so): the XML part of the
      # exports alone (native/addon/xml_exports.h), for the process libvirt's
      # hook runs on every incoming migration. --as-needed: it references no
      # libvirt symbol, so libvirt (and its ~55 libraries, about 20 ms to load)
      # is not a dependency. Named .so, not .node: node-gyp-build and
      # prebuildify take the first .node file in build/Release, which must be
      # pmc.node; the gate loads it with process.dlopen (src/binding/native.ts).
      "target_name": "pmc_gate",
      "type": "shared_library",
      "product_prefix": "",
      "product_extension": "so",
      "sources": [
        "native/gate/gate_addon.cc",
        "native/pmc/pmc-error.c",
        "native/pmc/pmc-names.c",
        "native/pmc/pmc-result.c",
        "native/pmc/pmc-util.c",
        "native/cxx/check_file.cc",
        "native/cxx/check_file_run.cc",
        "native/cxx/check_file_schema.cc",
        "native/cxx/json_string.cc",
        "native/cxx/plugin_loader.cc",
        "native/cxx/run_facts.cc",
        "native/cxx/xml_failure.cc",
        "native/cxx/xml_parser.cc",
        "native/cxx/xpath_eval.cc",
        "native/addon/args.cc",
        "native/addon/data.cc",
        "native/addon/error_names.cc",
        "native/addon/external_checks.cc",
        "native/addon/js_gate.cc",
        "native/addon/js_xml_convert.cc",
        "native/addon/js_xml_document.cc",
        "native/addon/js_xml_node.cc",
        "native/addon/js_xpath_expression.cc",
        "native/addon/libvirt_error.cc",
        "native/addon/operation.cc",
        "native/addon/pmc_last_error.cc",
        "native/addon/xml_exports.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/pmc",
        "native/cxx",
        "native/addon"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NAPI_CPP_EXCEPTIONS"
      ],
      "libraries": ["<!@(pkg-config --libs libxml-2.0)", "-ldl", "-lpthread"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden", "<!@(pkg-config --cflags libvirt libxml-2.0)"],
      "cflags_c": ["-std=c11"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"]
    }
  ]
}
