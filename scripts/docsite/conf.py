# Sphinx configuration of the collection's docs site (scripts/docs.sh). Started from what
# `antsibull-docs sphinx-init` writes, without intersphinx: the build is offline, so references
# to other collections' pages stay plain text instead of fetching their inventories.
project = 'azimuth.ops'
copyright = 'azimuth.ops developers'
title = 'azimuth.ops collection'
html_short_title = 'azimuth.ops'

extensions = ['sphinx_antsibull_ext']
pygments_style = 'ansible'
highlight_language = 'YAML+Jinja'

html_theme = 'sphinx_ansible_theme'
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False
html_theme_options = {
    'collapse_navigation': True,
    'navigation_depth': 2,
    # the theme's defaults link Ansible's blog and forum; this site is the collection's own
    'topbar_links': {
        'Repository': 'https://github.com/azimuth-cloud/azimuth-ops-collection',
        'Issues': 'https://github.com/azimuth-cloud/azimuth-ops-collection/issues',
    },
    'documentation_home_url': 'index.html',
    'show_extranav': False,
    'show_rtd_ethical_ads': False,
}
html_context = {
    'display_github': False,
}

default_role = 'any'
nitpicky = True
