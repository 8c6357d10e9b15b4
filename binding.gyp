{
  "targets": [
    {
      "target_name": "pmc",
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native/addon').filter(f => f.endsWith('.cc')).map(f => 'native/addon/' + f).join(' ')\")",
        "<!@(node -p \"require('fs').readdirSync('native/cxx').filter(f => f.endsWith('.cc')).map(f => 'native/cxx/' + f).join(' ')\")",
        "<!@(node -p \"require('fs').readdirSync('native/pmc').filter(f => f.endsWith('.c')).map(f => 'native/pmc/' + f).join(' ')\")"
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
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "-fvisibility=hidden", "<!@(pkg-config --cflags libvirt libxml-2.0)"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_c": ["-std=c11"],
      "libraries": ["<!@(pkg-config --libs libvirt libxml-2.0)", "-ldl", "-lpthread"]
    },
    {
      "target_name": "pmc_test",
      "type": "executable",
      "sources": [
        "test/native/pmc_test.c",
        "<!@(node -p \"require('fs').readdirSync('native/pmc').filter(f => f.endsWith('.c')).map(f => 'native/pmc/' + f).join(' ')\")"
      ],
      "include_dirs": ["native/pmc"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter", "<!@(pkg-config --cflags libvirt)"],
      "cflags_c": ["-std=c11"],
      "libraries": ["<!@(pkg-config --libs libvirt)", "-lpthread"]
    }
  ]
}
