<?xml version="1.0" encoding="UTF-8"?>
<!-- Shows an RSS 2.0 or Atom 1.0 feed opened in a browser as a readable page.
     Feed readers ignore it. A site's own templates/feeds/feed.xsl replaces it (and is
     copied as it is; this one is a Jinja template, in the site's language). -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="UTF-8" indent="yes"
              doctype-system="about:legacy-compat"/>

  <xsl:template match="/">
    <html lang="{{ site.language }}" dir="{{ site.direction }}">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="(rss/channel/title | atom:feed/atom:title)[1]"/> ({{ _("feed") }})</title>
        <style>
          body { font: 16px/1.5 Georgia, "Times New Roman", serif; margin: 0; color: #1d1d1f; background: #fafaf7; }
          main { max-width: 42rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
          .about { font: 14px/1.4 system-ui, sans-serif; background: #fff4d6; border: 1px solid #e8d9a8; padding: .75rem 1rem; border-radius: 6px; }
          h1 { font-size: 1.9rem; margin: 1.5rem 0 .25rem; }
          .subtitle { color: #55524a; margin: 0 0 1.5rem; }
          article { border-top: 1px solid #ddd8cc; padding: 1rem 0; }
          h2 { font-size: 1.2rem; margin: 0 0 .25rem; }
          h2 a { color: #0b3d91; text-decoration: none; }
          h2 a:hover { text-decoration: underline; }
          time { font: 13px system-ui, sans-serif; color: #6b675e; }
          p { margin: .35rem 0 0; }
        </style>
      </head>
      <body>
        <main>
          <p class="about">{{ _("This is a web feed. Copy its address into a feed reader to follow new stories as they are published.") }}</p>
          <xsl:apply-templates select="rss/channel | atom:feed"/>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="channel">
    <h1><a href="{link}"><xsl:value-of select="title"/></a></h1>
    <p class="subtitle"><xsl:value-of select="description"/></p>
    <xsl:for-each select="item">
      <article>
        <h2><a href="{link}"><xsl:value-of select="title"/></a></h2>
        <time><xsl:value-of select="pubDate"/></time>
        <!-- The description is HTML-escaped text: write it as it stands. -->
        <p><xsl:value-of select="description" disable-output-escaping="yes"/></p>
      </article>
    </xsl:for-each>
  </xsl:template>

  <xsl:template match="atom:feed">
    <h1><a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h1>
    <p class="subtitle"><xsl:value-of select="atom:subtitle"/></p>
    <xsl:for-each select="atom:entry">
      <article>
        <h2><a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h2>
        <time><xsl:value-of select="substring(atom:published, 1, 10)"/></time>
        <p><xsl:value-of select="atom:summary"/></p>
      </article>
    </xsl:for-each>
  </xsl:template>
</xsl:stylesheet>
