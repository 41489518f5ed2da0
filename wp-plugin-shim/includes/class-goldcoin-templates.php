<?php
/**
 * Template loader: the plugin's markup lives in templates/, and a theme may override any of it by
 * shipping goldcoin/<name>.php in its (child) theme folder.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Templates {
	const THEME_FOLDER = 'goldcoin';

	/** The file for a template name: the theme's copy when there is one, else the plugin's. */
	public static function locate( string $name ): string {
		$name     = sanitize_file_name( $name );
		$plugin   = GOLDCOIN_PLUGIN_DIR . 'templates/' . $name . '.php';
		$found    = $plugin;
		$in_theme = array(
			trailingslashit( get_stylesheet_directory() ) . self::THEME_FOLDER . '/' . $name . '.php',
			trailingslashit( get_template_directory() ) . self::THEME_FOLDER . '/' . $name . '.php',
		);
		foreach ( $in_theme as $candidate ) {
			if ( is_file( $candidate ) ) {
				$found = $candidate;
				break;
			}
		}
		/** Filters the file a template is loaded from. */
		$filtered = apply_filters( 'goldcoin_template_file', $found, $name, $plugin );
		return is_string( $filtered ) && is_file( $filtered ) ? $filtered : $plugin;
	}

	/** Prints a template; $args are its variables (each template documents what it receives). */
	public static function render( string $name, array $args = array() ): void {
		$goldcoin_template = self::locate( $name );
		$goldcoin_args     = $args;
		( static function () use ( $goldcoin_template, $goldcoin_args ) {
			extract( $goldcoin_args, EXTR_SKIP ); // phpcs:ignore WordPress.PHP.DontExtract.extract_extract -- a template's documented variables
			include $goldcoin_template;
		} )();
	}

	/** The same, returned as a string for shortcodes and filters. */
	public static function html( string $name, array $args = array() ): string {
		ob_start();
		self::render( $name, $args );
		return (string) ob_get_clean();
	}
}
