#pragma once
// The files under src/pages/assets/, compiled into the binary
// (cmake/embed_assets.cmake): the pages need no files at run time and no CDN.
//
//   const pages::Asset* a = pages::find_asset("login.js");   // nullptr if none
#include <string_view>

namespace cloakroom::pages {

struct Asset {
  std::string_view name;          // file name, e.g. "style.css"
  std::string_view content_type;
  std::string_view body;
};

const Asset* find_asset(std::string_view name);

}  // namespace cloakroom::pages
